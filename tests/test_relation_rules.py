"""Typed relation rules of transforms/nlp/relations.py on real parses by the
real spaCy model, one sentence (written for the test) per rule: what an
analyst reading the relations table relies on, and the false readings each
rule keeps out of it (measured on real news by
benchmarks/eval_news_relations.py)."""

import pytest

from tests.helpers import extracted


@pytest.fixture
def typed(nlp):
    def go(body):
        _story, found = extracted(nlp, body)
        return {(r.subject, r.relation_type, r.object) for r in found.relations
                if r.relation_type}
    return go


def test_a_kin_word_says_whose_relative_not_where_they_live(typed):
    found = typed("Paris claims that her ex-husband and Paris's father, Albert Jaquier, "
                  "committed suicide.")
    assert not [r for r in found if r[0] == "Albert Jaquier"]


def test_a_place_qualifying_the_firm_after_an_office_is_the_firms(typed):
    found = typed("Rene Rivkin, head of Sydney brokerage house Rivkin Ltd, said many brokers "
                  "will resist.")
    assert ("Rene Rivkin", "works_for", "Rivkin Ltd") in found
    assert not [r for r in found if r[0] == "Rene Rivkin" and r[2] == "Sydney"]
    assert not typed("Rene Rivkin, head of Sydney brokerage house, said brokers will resist.")


def test_a_verb_done_to_a_thing_a_name_modifies_is_not_typed(typed):
    assert not typed("Sourrouille stated that Argentina has met IMF requirements.")
    assert not [r for r in typed("Acme Corp bought Getty Oil shares on Monday.")
                if r[1] == "acquires"]
    # the name itself, or a noun in apposition to it, still types the verb
    assert ("Reagan", "visits", "Nancy") in typed(
        "Reagan left the White House to visit his wife Nancy at Bethesda Naval Hospital.")


def test_a_national_team_role_is_not_a_home(typed):
    assert not typed("After the match, Hernan Dario Gomez, Panama coach, said he was happy.")
    assert typed("Swedish captain Andreas Granqvist scored from the penalty spot.") == {
        ("Andreas Granqvist", "nationality", "Swedish")}


def test_a_party_in_an_apposed_office_after_the_name(typed):
    found = typed("Paul Dewar, an Ottawa New Democrat MP, said the lapses raise questions.")
    assert {("Paul Dewar", "member_of", "Democrat"), ("Paul Dewar", "lives_in", "Ottawa")} <= found


def test_a_party_in_apposition_with_or_without_article_and_its_state(typed):
    assert {("Don Nickles", "member_of", "Republican"),
            ("Don Nickles", "lives_in", "Oklahoma")} <= typed(
        "Senator Don Nickles, an Oklahoma Republican, said in a letter.")
    assert ("John Cornyn", "member_of", "Republican") in typed(
        "U.S. Senator John Cornyn, Republican from Texas, issued a statement.")


def test_a_party_or_people_word_right_before_a_name(typed):
    assert ("John McCain", "member_of", "Republican") in typed(
        "Critics included Republican John McCain and others.")
    assert ("Mahmoud Abbas", "nationality", "Palestinian") in typed(
        "They spoke with Palestinian Mahmoud Abbas in Ramallah.")


def test_an_organisation_apposed_to_a_countrys_noun_is_based_there(typed):
    assert ("Korean Central News Agency", "based_in", "North Korea") in typed(
        "According to Yonhap news agency, quoting North Korea's main news agency Korean "
        "Central News Agency (KCNA), the military is on alert.")


def test_a_place_after_an_of_name_hangs_on_its_head_word(typed):
    assert {("Museum of Flight", "based_in", "Seattle"),
            ("Museum of Flight", "based_in", "Washington"),
            ("Seattle", "located_in", "Washington")} <= typed(
        "The Museum of Flight in Seattle, Washington was also proposed.")


def test_an_and_joining_an_institution_ends_no_list_of_places(typed):
    found = typed("The exhibit combined the collections from Duke University, located in "
                  "Durham, North Carolina, and University of North Carolina at Chapel Hill, "
                  "which were recipients.")
    assert {("Duke University", "based_in", "Durham"),
            ("Duke University", "based_in", "North Carolina"),
            ("Durham", "located_in", "North Carolina")} <= found
    # Chapel Hill is the other university's
    assert ("Duke University", "based_in", "Chapel Hill") not in found


def test_a_loser_to_is_defeated(typed):
    assert ("England", "defeats", "Tunisia") in typed(
        "Tunisia lost 1 – 2 to England, with a late goal from Harry Kane.")


def test_an_office_served_as(typed):
    assert ("Paul Volcker", "works_for", "Federal Reserve Board") in typed(
        "President Reagan said Paul Volcker has declined to serve another term as chairman "
        "of the Federal Reserve Board, the U.S. central bank.")


def test_a_person_of_an_organisations_unit_works_for_it(typed):
    assert ("Mu Li", "works_for", "University of NSW") in typed(
        "Senior researcher Mu Li, of the University of NSW's school of public health, said "
        "it is reasonable.")


def test_a_compass_phrase_is_no_place_name(typed):
    assert not typed("The Burgeo Bank lies off the south coast of Newfoundland.")


def test_a_country_code_is_not_an_organisation_with_its_initials(typed):
    found = typed("A team from Colorado State University of the US and the University of "
                  "Sheffield of the UK analysed the data.")
    assert ("Colorado State University", "based_in", "US") in found
    assert not [r for r in found if r[0] == "Colorado State University"
                and r[2] == "University of Sheffield"]


def test_a_dateline_place_in_capitals_the_model_missed(typed):
    assert {("BANGKOK", "located_in", "Thailand"), ("AP", "based_in", "BANGKOK")} <= typed(
        "BANGKOK, Thailand (AP)")


def test_a_name_the_text_calls_a_capital_is_a_place(typed):
    assert ("Yerevan", "located_in", "Armenia") in typed(
        "The agency said in a report from Yerevan, the capital of Armenia.")


def test_a_home_state_is_where_one_lives(typed):
    assert ("Jesse Jackson", "lives_in", "South Carolina") in typed(
        "With South Carolina being Jesse Jackson's home state, there was a strong incentive.")


def test_an_office_the_parse_hangs_inside_the_name(typed):
    assert ("Herbert S. Okun", "lives_in", "U.S.") in typed(
        "Deputy U.S. Ambassador Herbert S. Okun announced the cancellation.")


def test_names_after_a_relative_clause_are_not_its_doers(typed):
    found = typed("Belli's clients have included Jack Ruby, who killed John F. Kennedy assassin "
                  "Lee Harvey Oswald, and Jim and Tammy Bakker.")
    assert ("Jack Ruby", "killed", "Lee Harvey Oswald") in found
    assert not [r for r in found if r[0] in ("Jim", "Tammy Bakker")]


def test_the_killer_is_the_person_noun_the_killing_hangs_on(typed):
    assert not typed("Anna Sandhu Ray, who 10 years ago Thursday wed the man convicted of "
                     "killing the Rev. Martin Luther King Jr., said she plans to divorce him.")
    # the shots someone fired are no one else
    assert ("Lee Harvey Oswald", "killed", "Kennedy") in typed(
        "The Warren Commission concluded that Lee Harvey Oswald, acting alone, fired the "
        "shots that killed Kennedy.")


def test_an_assassin_of_someone_killed_them_and_works_for_no_one(typed):
    found = typed("This is the Garrett place where John Wilkes Booth, assassin of Lincoln, was "
                  "cornered by Union soldiers.")
    assert ("John Wilkes Booth", "killed", "Lincoln") in found
    assert not [r for r in found if r[1] == "works_for"]


def test_a_victim_or_supporter_of_an_organisation_does_not_work_for_it(typed):
    assert not typed("Kennedy was the victim of an FBI and CIA conspiracy.")
    assert not [r for r in typed("Virginia Galle, a City Council member and CAP supporter, "
                                 "said so.") if r[2] == "CAP"]


def test_a_long_list_of_names_is_no_chain_of_places(typed):
    assert not [r for r in typed(
        "Airlines flying the 737-300s are Aloha, America West, American, Continental, Delta, "
        "Orion, Piedmont, Southwest, United and U.S. Air.") if r[1] == "located_in"]


def test_a_list_of_places_each_in_its_own_larger_place(typed):
    found = typed("The field lies along the border between Dan Sai District in Loei Province, "
                  "Nakhon Thai District in Phitsanulok Province, and Lomsak District in "
                  "Phetchabun Province.")
    assert ("Nakhon Thai District", "located_in", "Phitsanulok Province") in found
    assert ("Loei Province", "located_in", "Nakhon Thai District") not in found


def test_a_name_apposed_to_an_office_is_a_person(typed):
    found = typed("In 1533, the last Incan King of Peru, Atahualpa, was murdered on the orders "
                  "of Spanish conqueror Francisco Pizarro.")
    assert {("Atahualpa", "lives_in", "Peru"),
            ("Francisco Pizarro", "killed", "Atahualpa")} <= found
    assert ("Peru", "located_in", "Atahualpa") not in found


def test_an_office_the_verb_does_away_with_is_not_held(typed):
    found = typed("Illinois Gov. James Thompson signed legislation last month scrapping "
                  "Chicago's central school board next July.")
    assert ("James Thompson", "leads", "Illinois") in found
    assert not [r for r in found if r[2] == "Chicago"]


def test_a_name_ending_in_parish_or_district_is_a_place(typed):
    assert ("Cameron Parish", "located_in", "Louisiana") in typed(
        "In southwest Louisiana's Cameron Parish (county), civil defense director Hayes "
        "Picou said 8,500 residents had evacuated.")


def test_an_occupation_opening_a_sentence_is_not_part_of_the_name(typed):
    assert {("Thomas", "lives_in", "Chisholm"), ("Thomas", "lives_in", "Minn.")} <= typed(
        "Composer Thomas is a native of Chisholm, Minn.")


def test_washington_dc_is_one_place(typed):
    assert not typed("Four people were hanged in Washington, D.C., after being convicted.")


def test_a_site_named_then_comma_in_a_place_is_there_and_in_its_state(typed):
    assert ("Palace of Fine Arts", "located_in", "San Francisco") in typed(
        "The opera company performed at the Palace of Fine Arts, in San Francisco, on June 30.")
    assert {("Savannah River Plant", "located_in", "Aiken"),
            ("Savannah River Plant", "located_in", "S.C."),
            ("Aiken", "located_in", "S.C.")} <= typed(
        "The three reactors, all at the Savannah River Plant, in Aiken, S.C., have been shut "
        "down.")


def test_a_portfolio_word_before_a_country_names_an_agency(typed):
    assert typed("Environment Canada spokeswoman Sujata Raisinghani told CBC News the "
                 "department will look into it.") == {
        ("Sujata Raisinghani", "works_for", "Environment Canada")}


def test_a_name_ending_in_center_is_no_person(typed):
    found = typed("Space Shuttle Enterprise would be relocated from the Smithsonian's National "
                  "Air and Space Museum Steven F. Udvar-Hazy Center at Washington Dulles "
                  "International Airport.")
    assert not [r for r in found if r[1] == "member_of"]


def test_a_phrase_in_small_letters_is_no_name(typed):
    found = typed("The exhibit includes publishers Jann Wenner of Rolling Stone Magazine and "
                  "Carlo De Benedetti of Italy's la Repubblica; disco club owner Steve Rubell "
                  "of Studio 54; photographers Nat Finkelstein and Christopher Makos.")
    assert ("Jann Wenner", "works_for", "Rolling Stone Magazine") in found
    assert not [r for r in found if r[2] == "disco club"]


def test_a_wife_from_a_place_lives_there_and_a_department_is_its_firms(typed):
    assert {("Manju Sam", "lives_in", "Sydney"), ("Manju Sam", "lives_in", "Australia")} <= typed(
        "Thomas Sam, 42, and his wife Manju Sam, 36, from Sydney, Australia, are undergoing "
        "trial.")
    assert ("Akira Kawakami", "works_for", "Nomura Securities Co Ltd") in typed(
        "Investors will sell, said Akira Kawakami, deputy manager of Nomura Securities "
        "Co Ltd's international investment department.")


def test_a_place_then_a_name_after_an_office_of(typed):
    assert {("Chris Gregoire", "leads", "Washington"),
            ("Chris Gregoire", "lives_in", "Washington")} <= typed(
        "In a statement, Governor of Washington Chris Gregoire said the museum tried hard.")


def test_a_street_in_a_town_in_a_province(typed):
    found = typed("The document was found on Castlefrank Road in Kanata, Ontario in a "
                  "rain-stained envelope by a passerby.")
    assert {("Castlefrank Road", "located_in", "Kanata"),
            ("Castlefrank Road", "located_in", "Ontario"),
            ("Kanata", "located_in", "Ontario")} <= found


def test_a_contact_named_in_a_phrase_of_the_verb_is_a_meeting(typed):
    found = typed("After a lunch meeting with Chancellor Olaf Scholz, Emmanuel Macron told "
                  "reporters the talks had gone well.")
    assert ("Emmanuel Macron", "meets", "Olaf Scholz") in found
    # a contact still to come is no meeting
    assert not [r for r in typed("Before talks with Chancellor Olaf Scholz, Emmanuel Macron "
                                 "told reporters he hoped for progress.") if r[1] == "meets"]


def test_a_visit_made_to_a_country_is_a_visit(typed):
    found = typed("Indian Prime Minister Narendra Modi paid a two-day state visit to Egypt "
                  "last week.")
    assert ("Narendra Modi", "visits", "Egypt") in found
    # a visit only planned is not one
    assert not [r for r in typed("Narendra Modi planned a two-day visit to Egypt.")
                if r[1] == "visits"]


def test_a_person_and_other_members_of_a_party(typed):
    assert ("Nancy Pelosi", "member_of", "Democrats") in typed(
        "Nancy Pelosi and other Democrats voted against the spending bill on Friday.")


def test_a_campus_place_is_part_of_a_university_name(typed):
    found = typed("The study was led by researchers from the University of Texas at Austin.")
    assert not [r for r in found if r[1] == "based_in"]
    # a university's seat written apart from its name still counts
    assert ("Rice University", "based_in", "Houston") in typed(
        "The study was led by researchers from Rice University in Houston.")



def test_an_acronym_in_brackets_between_organisation_and_office(typed):
    found = typed("National Rifle Association (NRA) chief lobbyist Chris Cox said the group "
                  "would fight the measure.")
    assert ("Chris Cox", "works_for", "National Rifle Association") in found


def test_an_honorific_before_a_name_is_no_office(typed):
    found = typed("The senator praised National Security Advisor Dr. Susan Rice in a speech "
                  "on Monday.")
    assert not [r for r in found if r[1] == "works_for"]
    # the office before the honorific still counts
    assert ("Lisa Cook", "works_for", "Federal Reserve") in typed(
        "The board welcomed Federal Reserve Governor Dr. Lisa Cook to the meeting.")


def test_one_of_a_people_in_apposition(typed):
    assert ("Maria Lopez", "nationality", "Australian") in typed(
        "Maria Lopez, an Australian woman, has claimed that the company held her passport.")


def test_names_in_apposition_to_a_party_are_its_members(typed):
    found = typed("Two House Republicans, Representatives Larry Craig of Idaho and Beau Bolter "
                  "of Texas, have introduced the bill.")
    assert ("Larry Craig", "member_of", "Republicans") in found
    assert ("Larry Craig", "lives_in", "Idaho") in found


def test_an_organisation_the_parse_folds_into_the_name_after_an_office_of(typed):
    assert ("Enver Solomon", "works_for", "Refugee Council") in typed(
        "After the leak, CEO of the Refugee Council Enver Solomon told Sky News any process "
        "must be well thought out.")


def test_a_person_of_a_party_is_its_member_not_its_staff(typed):
    assert ("Maria Lopez", "member_of", "Green Party") in typed(
        "The vote was won by Maria Lopez, of the Green Party, after a recount.")
    assert ("Dana Kerr", "works_for", "Northwind Capital") in typed(
        "Dana Kerr of Northwind Capital said the bank would wait.")


def test_news_verbs_of_criticism_and_a_government_named_by_its_party(typed):
    assert ("Nicolas Maduro", "criticizes", "United States") in typed(
        "Nicolas Maduro condemned the United States on Friday.")
    # the government a party forms is the party's, unlike shares of a firm
    assert ("Priyanka Gandhi Vadra", "criticizes", "BJP") in typed(
        "Congress leader Priyanka Gandhi Vadra on Wednesday slammed the BJP government "
        "over the plight of a girl.")
    assert not [r for r in typed("Acme Corp bought Getty Oil shares on Monday.")
                if r[1] == "acquires"]


def test_an_organisations_person_works_for_it_a_partys_or_a_lists_is_a_member(typed):
    assert ("Rachel Harvey", "works_for", "BBC") in typed(
        "The BBC's Rachel Harvey reports that the area has been cut off.")
    assert ("Maria Lopez", "member_of", "Green Party") in typed(
        "The Green Party's Maria Lopez said the result was fair.")
    # in a sentence about who was elected, a group's X is its candidate
    assert ("Kwok Wai-keung", "member_of", "FTU") in typed(
        "Other pro-Beijing candidates elected were FTU's Kwok Wai-keung and DAB's Horace Cheung.")


def test_an_acronym_in_brackets_after_a_name_is_no_wire_credit(typed):
    assert not typed("To celebrate Tokyo hosting the 2020 Summer Olympics, Japan Airlines (JAL) "
                     "is giving away 50,000 tickets.")


def test_places_in_a_list_are_not_inside_one_another(typed):
    assert not typed("She said Nepal had more to offer than just Sagarmatha, Pokhara, Chitwan "
                     "and Lumbini.")
    assert ("Indiana", "located_in", "United States") in typed(
        "Evansville, Indiana, United States - This past week marked the opening of an exhibit.")


def test_joining_a_party_is_membership_and_a_title_is_no_employer(typed):
    assert ("Jyotiraditya Scindia", "member_of", "Bharatiya Janata Party") in typed(
        "Jyotiraditya Scindia joined the Bharatiya Janata Party on Wednesday.")
    assert ("Jane Doe", "works_for", "Acme Corp") in typed("Jane Doe joined Acme Corp in 2019.")
    assert not typed("Colton Bagola will be detained, federal Magistrate Judge Daneta Wollmann "
                     "wrote in a Monday order.")


def test_a_meeting_is_between_people_not_with_a_time_or_a_place(typed):
    found = typed("On July 4, on Independence Day, Mayor Jorge Mendes met with veterans in "
                  "Union Square.")
    assert not [r for r in found if r[1] == "meets"]
    assert ("Roberta Vance", "meets", "Helmut Brandt") in typed(
        "Roberta Vance met Helmut Brandt in Geneva on Tuesday.")


def test_a_student_does_not_work_for_the_university(typed):
    assert not [r for r in typed("Daniel Okafor, 21, was a student at Leeds University.")
                if r[1] == "works_for"]
    assert ("Daniel Okafor", "works_for", "Leeds University") in typed(
        "Daniel Okafor, 51, was a lecturer at Leeds University.")


def test_a_social_media_handle_is_no_side_of_a_relation(typed):
    # an embedded tweet run into the text, as flat page scrapes have it
    found = typed("Your Chelsea team to take on Brighton! — Chelsea FC (@ChelseaFC) January 1, "
                  "2020 Sky Sports reports that the club complies. Chelsea chairman Tom Hale "
                  "praised the board.")
    assert not [r for r in found if "@" in r[0] + r[2]]
    assert ("Tom Hale", "works_for", "Chelsea") in found


def test_a_place_named_as_a_neighbourhood_of_a_larger_one(typed):
    assert ("Pine Ridge", "located_in", "Fulton County") in typed(
        "Leaflets were found in the Pine Ridge neighborhood of Fulton County last week.")


def test_a_persons_tenure_with_an_organisation_is_work_for_it(typed):
    assert ("Ruth Adler", "works_for", "NASA") in typed(
        "Here is a look back at Ruth Adler's tenure with NASA.")
    assert ("Ruth Adler", "works_for", "Siemens") in typed(
        "Ruth Adler's stint at Siemens ended in 2012.")
    assert not [r for r in typed("Ruth Adler's trip to NASA was short.") if r[1] == "works_for"]


def test_a_title_won_is_not_an_office_or_a_home(typed):
    # a contest's name before "champion" or "hopeful" is neither employer nor place
    found = typed("Former Wimbledon champion Maria Olsen and Olympic champion Tom Reyes "
                  "withdrew on Monday.")
    assert not [r for r in found if r[0] in ("Maria Olsen", "Tom Reyes")]
    assert not [r for r in typed("Former Australian Open champion Anna Kovac pulled out "
                                 "with a wrist injury.") if r[0] == "Anna Kovac"]
    # a nationality adjective right before the noun still tells the nationality
    assert ("Lars Berg", "nationality", "Swedish") in typed(
        "Swedish champion Lars Berg won the first stage on Sunday.")


def test_an_office_of_a_relative_is_not_the_persons(typed):
    found = typed("Maria Lopez, wife of the Mexican president, opened the clinic on Monday.")
    assert not [r for r in found if r[0] == "Maria Lopez"]
    # one of a group still is: "X, one of the top strategists in Israel"
    assert ("Dan Meron", "lives_in", "Israel") in typed(
        "Dan Meron, one of the top strategists in Israel, said the plan would fail.")


def test_a_result_named_by_a_noun_says_who_beat_whom(typed):
    assert ("Ajax Amsterdam", "defeats", "Utrecht") in typed(
        "Ajax Amsterdam celebrated with a 1-0 win over FC Utrecht on Sunday.")
    assert ("Hamburg", "defeats", "Freiburg") in typed(
        "Hamburg's 3-0 defeat of Freiburg was their first win of the season.")
    assert ("France", "defeats", "Germany") in typed("Germany's defeat by France ended the run.")
    # "at" names the beaten side's ground only with a score
    assert ("Werder Bremen", "defeats", "Mainz") in typed(
        "Werder Bremen stayed top with a 3-1 win at Mainz.")
    assert not typed("The win at Augusta was his third.")
    assert not typed("Gore won over voters in Ohio.")
    assert not [r for r in typed("Hansa Rostock ended the run with a 2-0 win over the "
                                 "Rhineside club.") if r[1] == "defeats"]


def test_a_kin_apposition_keeps_its_coordinated_home(typed):
    assert ("Lee Robinson", "lives_in", "Greenville") in typed(
        "The jury convicted Lee Robinson, half brother of the mayor and a Greenville native, "
        "of fraud.")
    assert ("Tom Hale", "nationality", "American") in typed(
        "American aviation hero Tom Hale was born in Columbus, Ohio.")


def test_people_named_together_as_those_who_met_meet_each_other(typed):
    assert ("Ezra Cohen", "meets", "David Levi") in typed(
        "Ezra Cohen and David Levi met at the president's residence on Sunday.")
    assert ("Ezra Cohen", "meets", "David Levi") in typed(
        "President Ezra Cohen consulted on Sunday with Prime Minister David Levi, "
        "a spokesman said.")
    # a meeting to come, wished or denied is none
    for sentence in ("Ezra Cohen and David Levi will meet next week.",
                     "Ezra Cohen and David Levi did not meet.",
                     "Ezra Cohen and David Levi plan to meet in June."):
        assert not [r for r in typed(sentence) if r[1] == "meets"], sentence
    # they met someone else, not each other
    for sentence in ("Ezra Cohen and David Levi met little Ari just after midnight.",
                     "Ezra Cohen and David Levi met with Tom Baker on Friday."):
        assert ("Ezra Cohen", "meets", "David Levi") not in typed(sentence), sentence


def test_a_peoples_adjective_the_model_took_for_a_body_is_a_nationality(typed):
    found = typed("Inter's new Uruguayan coach Luis Perez faces a replay next week.")
    assert ("Luis Perez", "nationality", "Uruguayan") in found
    assert ("Luis Perez", "works_for", "Inter") in found
    assert not [r for r in found if r[1] == "works_for" and r[2] == "Uruguayan"]


def test_a_shadow_portfolio_is_no_body_but_the_party_still_counts(typed):
    found = typed("Labour's Shadow Home Secretary Jane Hill said her party had backed "
                  "the plan for months.")
    assert ("Jane Hill", "works_for", "Labour") in found
    assert not [r for r in found if "Shadow" in r[2]]


def test_the_head_of_a_study_or_project_works_for_no_body_it_names(typed):
    assert not typed("Professor Ann Lee, Director of the National Salt Reduction study, "
                     "said children need less salt.")
    assert not typed("Maria Gomez, head of the Clean Rivers project, said the work "
                     "would take years.")
    assert ("John Smith", "works_for", "Acme") in typed(
        "John Smith, director of the Acme plant in Ohio, said output rose.")


def test_a_planned_visit_meeting_or_purchase_is_not_typed(typed):
    # the judged pool's first errors (benchmarks/eval_relation_precision.py)
    for sentence in ("Foreign Minister Anna Berg will visit Chile on March 3.",
                     "Anna Berg would visit Lima for talks next month.",
                     "Anna Berg planned to meet President Luis Ortega in Lima.",
                     "Northgate Corp will buy Delta Mining Corp for 40 mln dlrs."):
        assert not [r for r in typed(sentence) if r[1] in ("visits", "meets", "acquires")], \
            sentence
    assert ("Anna Berg", "visits", "Chile") in typed("Anna Berg visited Chile on March 3.")
    assert ("Northgate Corp", "acquires", "Delta Mining Corp") in typed(
        "Northgate Corp bought Delta Mining Corp for 40 mln dlrs.")


def test_what_is_bought_from_a_company_does_not_acquire_it(typed):
    found = typed("Northgate Corp bought residual fuel from Delta Mining Corp under a "
                  "long-term contract.")
    assert not [r for r in found if r[1] == "acquires"]


def test_an_organisation_is_based_where_a_person_would_live(typed):
    assert ("Korea Growth Fund", "based_in", "New York") in typed(
        "Foreigners can invest through five local trusts and the Korea Growth Fund "
        "in New York.")


def test_no_country_lies_in_another(typed):
    found = typed("Read also: the envoy slams attempts to belittle aid to Serbia, Italy "
                  "as cynical.")
    assert not [r for r in found if r[1] == "located_in"]


def test_a_name_after_a_comma_that_begins_a_clause_is_no_larger_place(typed):
    for sentence in ("According to BetOnline, Georgia is a 5.5-point favorite.",
                     "A year after losing the final to Texas, Georgia returns to the bowl."):
        assert not [r for r in typed(sentence) if r[1] == "located_in"], sentence
    # after "in" the parse is not trusted that far
    assert ("Seattle", "located_in", "Washington") in typed(
        "The Museum of Flight in Seattle, Washington was also proposed as a home.")


def test_a_list_of_places_closed_by_a_name_the_model_missed(typed):
    found = typed("Such requests came from the governors of Piedmont, Apulia and "
                  "Friuli-Venezia Giulia, he said.")
    assert not [r for r in found if r[1] == "located_in"]


def test_a_champ_has_won_a_title_not_a_home(typed):
    found = typed("The leaders included former U.S. Open champ Corey Pavin and two others.")
    assert not [r for r in found if r[0] == "Corey Pavin" and r[1] == "lives_in"]


def test_an_apposition_after_two_names_is_the_last_ones(typed):
    found = typed("Despite warm words from Mr Hansen and Werner Kogler, the Green Party "
                  "leader, the deal looked awkward.")
    assert ("Werner Kogler", "works_for", "Green Party") in found
    assert not [r for r in found if r[0] == "Hansen"]


def test_a_politician_from_a_party_is_its_member(typed):
    found = typed("Hans Weber, a politician from the Free Democratic Party, was elected "
                  "state premier.")
    assert ("Hans Weber", "member_of", "Free Democratic Party") in found
    assert not [r for r in found if r[1] == "works_for"]


def test_a_bracketed_acronym_after_a_name_holding_a_place_is_no_credit(typed):
    for sentence in ("The Alliance for Democracy in Malawi (AFORD) urged the government "
                     "to act.",
                     "Outrage grew after a premier won with support from the far-right "
                     "Alternative for Germany (AfD) on Wednesday."):
        assert not [r for r in typed(sentence) if r[1] == "based_in"], sentence
    # (a dateline's credit still is: tests/test_extract.py, "DAYTON, Ohio (AP)")


def test_a_word_of_a_name_the_model_missed_is_no_office(typed):
    found = typed("Police detained dissident Li Wei, the Hong Kong-based pressure group "
                  "Human Rights in China said on Saturday.")
    assert not [r for r in found if r[0] == "Li Wei" and r[1] == "lives_in"]
    assert ("Paul Dewar", "lives_in", "Ottawa") in typed(
        "Paul Dewar, an Ottawa New Democrat MP, said the lapses raise questions.")


def test_a_hall_or_district_a_name_qualifies_is_no_employer(typed):
    for sentence in ("He spoke at a reception held by President Carlos Menem at Buenos Aires' "
                     "City Council hall.",
                     "Ahmed Saleh, a government official in al-Mahwit district, said the "
                     "rain had stopped."):
        assert not [r for r in typed(sentence) if r[1] == "works_for"], sentence


def test_a_disease_is_no_side_of_a_relation(typed):
    found = typed("Coronavirus in Poland: schools close as Coronavirus from China spreads.")
    assert not [r for r in found if "Coronavirus" in (r[0], r[2])]


def test_a_company_noun_before_a_name_makes_it_based_not_living_there(typed):
    found = typed("Spain's financially troubled power company <Electricas del Norte SA> "
                  "(ELNOSA) may suspend payments, an official said.")
    assert ("Electricas del Norte SA", "based_in", "Spain") in found
    assert not [r for r in found if r[1] == "lives_in"]


def test_a_long_list_of_places_is_no_chain_of_larger_ones(typed):
    found = typed("The curfew applied in Ankara as well as Adana, Antalya, Aydin, Balikesir, "
                  "Bursa, Van and Zonguldak.")
    assert not [r for r in found if r[1] == "located_in"]
    found = typed("He was born in Evansville, Indiana, United States.")
    assert ("Evansville", "located_in", "Indiana") in found
    assert ("Indiana", "located_in", "United States") in found


def test_a_bodys_common_noun_alone_names_no_body(typed):
    for sentence in ("Committee Chairman William Proxmire said he agreed.",
                     "Party leader Ciriaco De Mita told reporters he would wait.",
                     "At this week's session the Council elected Philip Sparkes as "
                     "vice-chairman."):
        assert not typed(sentence), sentence


def test_a_seat_on_a_board_is_an_office_and_a_states_office_a_partys_member(typed):
    assert ("Johann Gaddum", "works_for", "Bundesbank") in typed(
        "Johann Gaddum, a member of the Bundesbank board, said rates would stay.")
    found = typed("Christian Democratic Party Senator Anna Ruiz voted against it.")
    assert ("Anna Ruiz", "member_of", "Christian Democratic Party") in found
    assert not [r for r in found if r[1] == "works_for"]


def test_a_possessive_peoples_word_is_a_company_no_nationality(typed):
    assert not [r for r in typed("Under the order, the bank lent to American's chairman "
                                 "John Kerr.") if r[1] == "nationality"]


def test_a_party_named_by_its_acronym_is_a_party(typed):
    # "SPD Chancellor X" belongs to the party and holds the country's office
    found = typed("The adviser later served under former SPD Chancellor Gerhard Kranz, "
                  "who governed from Bonn.")
    assert ("Gerhard Kranz", "member_of", "SPD") in found
    assert ("Gerhard Kranz", "works_for", "SPD") not in found


def test_a_person_who_arrived_or_travelled_somewhere_visits_it(typed):
    assert ("Francis", "visits", "Manila") in typed(
        "Pope Francis arrived in Manila on Thursday for a five-day visit.")
    assert ("Mike Pompeo", "visits", "Florida") in typed(
        "Secretary of State Mike Pompeo traveled to Florida to meet with Governor Ron DeSantis.")
    assert ("Macron", "visits", "Beijing") in typed(
        "Macron, who arrived in Beijing on Tuesday, met Xi Jinping.")


def test_a_travel_planned_denied_or_a_move_is_no_visit(typed):
    for sentence in ("Prime Minister Narendra Modi will travel to Washington next week.",
                     "Emmanuel Macron is due to arrive in Beijing on Tuesday.",
                     "Maria Lopez arrived in Canada in 1990 as a refugee."):
        assert not [r for r in typed(sentence) if r[1] == "visits"], sentence
